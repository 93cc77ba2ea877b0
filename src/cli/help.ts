/**
 * `<command> --help`: the synopsis, then every option with what it does and what applies when it
 * is not given, so no default is silent. The options several commands share are written once here.
 */

export interface OptionHelp {
  /** As typed, e.g. `--model <dir>`. */
  flag: string;
  text: string;
  /** What applies when the option is not given, in words. */
  default?: string;
}

/** "options:" and one entry per option, descriptions aligned and wrapped to ~100 columns. */
export function optionsHelp(options: readonly OptionHelp[], title = 'options:'): string {
  const width = Math.min(30, Math.max(...options.map((o) => o.flag.length)));
  const indent = ' '.repeat(width + 4);
  const lines = [title];
  for (const option of options) {
    const text = option.default ? `${option.text} (default: ${option.default})` : option.text;
    const words = wrap(text, 100 - indent.length);
    const first = `  ${option.flag.padEnd(width)}  `;
    if (first.length > indent.length) {
      lines.push(`  ${option.flag}`);
      lines.push(...words.map((w) => indent + w));
    } else {
      lines.push(first + words[0], ...words.slice(1).map((w) => indent + w));
    }
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

export const MODEL_OPTION: OptionHelp = {
  flag: '--model <dir>',
  text: 'the model folder, holding model.json and its weights',
  default: 'the newest classifier in resources/models, or one installed in the app',
};

export const STORE_OPTION: OptionHelp = {
  flag: '--store <dir>',
  text: 'where screening jobs keep their rows (resumable); not inside a screened folder',
  default: '~/.covidnet-workstation/screening',
};

export const SITE_PROFILE_HELP: OptionHelp[] = [
  {
    flag: '--site-profile <name>',
    text: 'apply a saved site profile (from `validate --save-profile`) to every verdict',
    default: "none, the model's own thresholds",
  },
  {
    flag: '--site-dir <dir>',
    text: 'where site profiles are saved',
    default: '~/.covidnet-workstation/site-validation',
  },
];

export const OUTBOX_OPTION: OptionHelp = {
  flag: '--outbox <dir>',
  text: 'results waiting to be sent to the PACS, kept across restarts and retried',
  default: 'pacs-outbox beside the store',
};

export const SEND_RESULT_KIND_OPTIONS: OptionHelp[] = [
  { flag: '--send-heatmap', text: 'also send the heatmap as a Secondary Capture', default: 'off' },
  { flag: '--send-pdf', text: 'also send the PDF report as Encapsulated PDF', default: 'off' },
];
