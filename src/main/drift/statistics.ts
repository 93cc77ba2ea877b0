/**
 * Two-sample tests for the drift monitor (pure; no I/O): Kolmogorov-Smirnov for distributions
 * (asymptotic p-value with Stephens' small-sample correction, as in Numerical Recipes' kstwo) and
 * Fisher's exact test for shares (two-sided: the tables no more likely than the one observed).
 */

/** Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2), the Kolmogorov tail. */
function kolmogorovTail(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let previous = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) <= 1e-10 * Math.abs(previous) || Math.abs(term) < 1e-16) break;
    previous = term;
  }
  return Math.min(1, Math.max(0, sum));
}

/** Two-sample Kolmogorov-Smirnov: D = max |F_a - F_b| and its two-sided p-value. */
export function ksTwoSample(
  a: readonly number[],
  b: readonly number[],
): { statistic: number; pValue: number } | null {
  if (a.length === 0 || b.length === 0) return null;
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const en = Math.sqrt((x.length * y.length) / (x.length + y.length));
  return { statistic: d, pValue: kolmogorovTail((en + 0.12 + 0.11 / en) * d) };
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

const logChoose = (n: number, k: number): number =>
  logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/**
 * Fisher's exact test of k1/n1 against k2/n2, two-sided. `statistic` is the difference of shares
 * k2/n2 - k1/n1 (recent minus reference when called that way round).
 */
export function fisherExact(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
): { statistic: number; pValue: number } | null {
  if (n1 === 0 || n2 === 0) return null;
  const successes = k1 + k2;
  const total = n1 + n2;
  const logP = (x: number) =>
    logChoose(n1, x) + logChoose(n2, successes - x) - logChoose(total, successes);
  const observed = logP(k1);
  let p = 0;
  for (let x = Math.max(0, successes - n2); x <= Math.min(n1, successes); x++) {
    const lp = logP(x);
    // The relative tolerance counts tables as likely as the observed one despite rounding.
    if (lp <= observed + 1e-7) p += Math.exp(lp);
  }
  return { statistic: k2 / n2 - k1 / n1, pValue: Math.min(1, p) };
}
