document.getElementById('app')!.textContent = 'COVID-Net CXR Workstation';
