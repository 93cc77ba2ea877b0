import './styles/app.css';
import { WorkstationApp } from './app/app';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app');
const app = new WorkstationApp(root);
void app.start();
