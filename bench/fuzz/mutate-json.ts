// Structure-aware JSON mutations (target files, TF.js model.json): a random node of the tree
// is replaced by a hostile value, deleted, or given an unknown sibling.
import type { Rand } from './rand.js';
import { NASTY_FLOATS, NASTY_INTS, NASTY_NAMES } from './rand.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function nasty(r: Rand): Json {
  switch (r.int(8)) {
    case 0:
      return r.pick(NASTY_INTS);
    case 1:
      return r.pick(NASTY_FLOATS);
    case 2:
      return r.pick(NASTY_NAMES);
    case 3:
      return null;
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return r.chance(0.5);
    default: {
      let deep: Json = 1;
      for (let i = 0; i < 200; i++) deep = [deep];
      return deep;
    }
  }
}

/** Every container in the tree with the key or index of each child. */
function slots(root: Json): { parent: Json[] | { [k: string]: Json }; key: string | number }[] {
  const out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach((c, i) => {
        out.push({ parent: v, key: i });
        walk(c);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        out.push({ parent: v, key: k });
        walk(v[k] as Json);
      }
    }
  };
  walk(root);
  return out;
}

export function mutateJson(r: Rand, text: string): string {
  const root = JSON.parse(text) as Json;
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const all = slots(root);
    if (all.length === 0) break;
    const { parent, key } = r.pick(all);
    const op = r.int(10);
    if (Array.isArray(parent)) {
      const i = key as number;
      if (op < 6) parent[i] = nasty(r);
      else if (op < 8) parent.splice(i, 1);
      else parent.push(...Array.from({ length: r.pick([1, 2, 1000]) }, () => parent[i] ?? null));
    } else {
      const k2 = key as string;
      const cur = parent[k2];
      if (op < 5) parent[k2] = nasty(r);
      else if (op < 7) delete parent[k2];
      else if (op < 8) parent[`${k2}_unknown`] = nasty(r);
      else if (typeof cur === 'number') parent[k2] = r.pick([cur * 1e6, -cur, cur + 1, Math.round(cur * 1000) / 7]);
      else if (typeof cur === 'string') parent[k2] = r.pick([cur.toUpperCase(), `${cur}x`, '', r.pick(NASTY_NAMES)]);
      else parent[k2] = nasty(r);
    }
  }
  return JSON.stringify(root);
}
