/**
 * Child process for journal.test.ts: records readings into the journal in argv[2] as fast as
 * it can and prints `ok <id>` once each one is durable, until the test kills it with SIGKILL.
 */
import { openReadingJournal } from '../journal';

async function main(): Promise<void> {
  const dir = process.argv[2];
  const round = process.argv[3] ?? '0';
  const journal = await openReadingJournal(dir);
  for (let i = 0; ; i++) {
    const saved = await journal.record({
      studyKey: `file:/films/round-${round}/film-${i}.png`,
      path: `/films/round-${round}/film-${i}.png`,
      studyInstanceUid: null,
      sopInstanceUid: null,
      reading: i % 2 === 0 ? 'COVID-19' : 'normal',
      agreement: i % 3 === 0 ? 'disagree' : 'agree',
      // A long note makes each line several KiB, so the kill has more bytes to land in.
      note: `round ${round} reading ${i} `.padEnd(500, 'x'),
      ai: {
        modelId: 'test',
        label: 'COVID-19',
        probability: 0.5,
        verdict: 'uncertain',
        siteProfile: null,
      },
    });
    process.stdout.write(`ok ${saved.id}\n`);
  }
}

void main();
