/**
 * No-anatomy features for the shortcut baseline: image size, aspect ratio, file size, border-strip
 * and corner statistics and the intensity histogram. The reference definition is
 * `training/shortcut_baseline.py` (`shortcut_features`); keep both in step (a test compares them).
 */

export const HIST_BINS = 16;
export const BORDER_FRACTION = 0.05;

export function shortcutFeatureNames(): string[] {
  const names = ['log_width', 'log_height', 'aspect', 'log_file_bytes', 'bits_per_pixel'];
  for (const strip of ['top', 'bottom', 'left', 'right'])
    names.push(`${strip}_mean`, `${strip}_std`);
  names.push('mean', 'std', 'fraction_black', 'fraction_white');
  for (let i = 0; i < HIST_BINS; i++) names.push(`hist_${String(i).padStart(2, '0')}`);
  for (const corner of ['tl', 'tr', 'bl', 'br']) names.push(`corner_${corner}_mean`);
  return names;
}

/** Mean and population standard deviation (both /255) of a rectangle of the image. */
function rectMeanStd(
  gray: ArrayLike<number>,
  width: number,
  y0: number,
  y1: number,
  x0: number,
  x1: number,
): [number, number] {
  let sum = 0;
  const n = (y1 - y0) * (x1 - x0);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += gray[y * width + x];
  const mean = sum / n;
  let squares = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const d = gray[y * width + x] - mean;
      squares += d * d;
    }
  }
  return [mean / 255, Math.sqrt(squares / n) / 255];
}

/**
 * @param gray the decoded 8-bit gray image (values 0..255, row-major), as PIL's 'L' gives it
 * @param fileBytes size of the source file on disk
 */
export function shortcutFeatures(
  gray: ArrayLike<number>,
  width: number,
  height: number,
  fileBytes: number,
): number[] {
  const s = Math.max(1, Math.floor(BORDER_FRACTION * Math.min(height, width)));
  const f = [
    Math.log(width),
    Math.log(height),
    width / height,
    Math.log(Math.max(1, fileBytes)),
    (8 * fileBytes) / (width * height),
  ];
  f.push(...rectMeanStd(gray, width, 0, s, 0, width));
  f.push(...rectMeanStd(gray, width, height - s, height, 0, width));
  f.push(...rectMeanStd(gray, width, 0, height, 0, s));
  f.push(...rectMeanStd(gray, width, 0, height, width - s, width));
  f.push(...rectMeanStd(gray, width, 0, height, 0, width));
  const hist = new Array<number>(HIST_BINS).fill(0);
  let black = 0;
  let white = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const v = gray[i];
    if (v <= 5) black++;
    if (v >= 250) white++;
    hist[Math.floor((v * HIST_BINS) / 256)]++;
  }
  f.push(black / n, white / n);
  for (const count of hist) f.push(count / n);
  const corners: [number, number, number, number][] = [
    [0, s, 0, s],
    [0, s, width - s, width],
    [height - s, height, 0, s],
    [height - s, height, width - s, width],
  ];
  for (const [y0, y1, x0, x1] of corners) f.push(rectMeanStd(gray, width, y0, y1, x0, x1)[0]);
  return f;
}
