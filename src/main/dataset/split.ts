/**
 * Grouping and splitting. Films of one patient, and films that are the same picture (across
 * sources too), form one group; a group goes wholly to train, val or test. Within each
 * (source, label) stratum the groups are shuffled with a seeded generator and dealt out until each
 * part holds its fraction of the stratum's films. `--keep-split` pins every patient of an earlier
 * manifest to the part it was in.
 */
import { seededRandom } from '../../shared/seeded-random';
import type { DatasetLabel, Film, SplitPart } from './types';

export class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root)
      root = this.parent.get(root) as string;
    if (!this.parent.has(root)) this.parent.set(root, root);
    // Path compression.
    let node = x;
    while (node !== root) {
      const next = this.parent.get(node) as string;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller id is the root, so a group's id does not depend on the order of unions.
    if (ra !== rb) {
      if (ra < rb) this.parent.set(rb, ra);
      else this.parent.set(ra, rb);
    }
  }
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const LABEL_RANK: Record<DatasetLabel, number> = { 'COVID-19': 0, pneumonia: 1, normal: 2 };

export interface Group {
  id: string;
  /** Indices into the films (those that go in). */
  members: number[];
  /** Every patient joined into the group, also through films left out (a copy's patient). */
  patients: string[];
  /** COVID-19 if any film is, else pneumonia if any, else normal. */
  label: DatasetLabel;
  /** The source with most films in the group (ties: alphabetical). */
  source: string;
}

/** Groups by patient id and by the `links` (pairs of film indices that are one picture). */
export function groupFilms(
  films: readonly Pick<Film, 'patientId' | 'label' | 'source'>[],
  links: readonly [number, number][],
  kept: (index: number) => boolean = () => true,
): Group[] {
  const uf = new UnionFind();
  films.forEach((film) => uf.find(`p:${film.patientId}`));
  for (const [a, b] of links) uf.union(`p:${films[a].patientId}`, `p:${films[b].patientId}`);
  const byRoot = new Map<string, number[]>();
  const patientsOf = new Map<string, Set<string>>();
  films.forEach((film) => {
    const root = uf.find(`p:${film.patientId}`);
    patientsOf.set(root, (patientsOf.get(root) ?? new Set()).add(film.patientId));
  });
  // Films left out (a duplicate's other copy) still link patients, but are no group member.
  films.forEach((film, i) => {
    if (!kept(i)) return;
    const root = uf.find(`p:${film.patientId}`);
    const list = byRoot.get(root);
    if (list) list.push(i);
    else byRoot.set(root, [i]);
  });
  return [...byRoot]
    .map(([root, members]) => {
      const ids = members.map((i) => films[i].patientId).sort();
      const sources = new Map<string, number>();
      for (const i of members)
        sources.set(films[i].source, (sources.get(films[i].source) ?? 0) + 1);
      const source = [...sources].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0][0];
      const label = members
        .map((i) => films[i].label)
        .sort((x, y) => LABEL_RANK[x] - LABEL_RANK[y])[0];
      const patients = [...(patientsOf.get(root) ?? [])].sort();
      return { id: ids[0], members, patients, label, source };
    })
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

export interface SplitOptions {
  seed: number;
  valFraction: number;
  testFraction: number;
  /** patient id -> part, from an earlier manifest. */
  keep?: ReadonlyMap<string, SplitPart>;
}

export interface SplitResult {
  partOf: Map<string, SplitPart>;
  /** Groups whose patients an earlier manifest put in different parts (left out, never split). */
  conflicts: Group[];
}

export function splitGroups(groups: readonly Group[], options: SplitOptions): SplitResult {
  const partOf = new Map<string, SplitPart>();
  const conflicts: Group[] = [];
  const strata = new Map<string, Group[]>();
  for (const group of groups) {
    const key = `${group.source}\u0000${group.label}`;
    const list = strata.get(key);
    if (list) list.push(group);
    else strata.set(key, [group]);
  }
  const random = seededRandom(options.seed);
  // What a stratum could not take (a fraction of a film) is carried to the next, so small strata
  // still add up to the fractions overall.
  const carry = { test: 0, val: 0 };
  for (const key of [...strata.keys()].sort()) {
    const members = strata.get(key) as Group[];
    const total = members.reduce((n, g) => n + g.members.length, 0);
    const target = {
      test: total * options.testFraction + carry.test,
      val: total * options.valFraction + carry.val,
    };
    const held = { test: 0, val: 0, train: 0 };
    const free: Group[] = [];
    for (const group of members) {
      const kept = new Set<SplitPart>();
      for (const patient of group.patients) {
        const part = options.keep?.get(patient);
        if (part) kept.add(part);
      }
      if (kept.size > 1) conflicts.push(group);
      else if (kept.size === 1) {
        const part = [...kept][0];
        partOf.set(group.id, part);
        held[part] += group.members.length;
      } else free.push(group);
    }
    for (const group of shuffled(free, random)) {
      const size = group.members.length;
      // A group goes where it brings the part closest to its target without passing it by half.
      let part: SplitPart = 'train';
      if (held.test + size / 2 <= target.test) part = 'test';
      else if (held.val + size / 2 <= target.val) part = 'val';
      partOf.set(group.id, part);
      held[part] += size;
    }
    carry.test = target.test - held.test;
    carry.val = target.val - held.val;
  }
  return { partOf, conflicts };
}
