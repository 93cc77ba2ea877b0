/**
 * The layering rule of docs/architecture.md, checked on every relative import in src/main and
 * src/renderer: a module may import its own layer and the layers below it, never one above.
 *   src/main:      base/ < platform/ < features/ < app/ (and index.ts, the Electron entry)
 *   src/renderer:  base/ < views/ < app/ (and main.ts, the page entry)
 * Test support (`testing/` folders, *.test.ts) may import anything; production code never
 * imports from a `testing/` folder.
 */
import { dirname, relative, resolve, sep } from 'node:path';

const LAYERS = {
  main: ['base', 'platform', 'features', 'app'],
  renderer: ['base', 'views', 'app'],
};
/** Files at a process root are its entry points: the top layer. */
const ENTRY_LAYER = 'app';

/** { process, layer, rank, testing } for a file under src/main or src/renderer, else null. */
export function layerOf(file, srcRoot) {
  const parts = relative(srcRoot, file).split(sep);
  const process = parts[0];
  const order = LAYERS[process];
  if (!order || parts.length < 2 || parts[0].startsWith('..')) return null;
  const layer = parts.length === 2 ? ENTRY_LAYER : parts[1];
  const rank = order.indexOf(layer);
  const testing = parts.includes('testing') || /\.test(-[a-z]+)?\.[cm]?[jt]s$/.test(file);
  return { process, layer, rank, testing, order };
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'No import from a higher layer (docs/architecture.md, Layers).' },
    schema: [],
    messages: {
      upward:
        '{{from}} must not import {{to}}: a module imports its own layer and those below ' +
        '({{order}}).',
      unknown: '{{file}} is in no layer of src/{{process}} ({{order}}): put it in one.',
      testing: 'Production code must not import test support ({{to}}).',
    },
  },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const srcRoot = resolve(context.cwd ?? context.getCwd(), 'src');
    const from = layerOf(file, srcRoot);
    if (!from) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = resolve(dirname(file), spec);
      const to = layerOf(target, srcRoot);
      if (!to || to.process !== from.process) return;
      const names = { from: `${from.layer}/`, to: `${to.layer}/`, order: from.order.join(' < ') };
      if (to.testing && !from.testing) {
        context.report({ node, messageId: 'testing', data: { to: spec } });
      } else if (!from.testing && to.rank > from.rank) {
        context.report({ node, messageId: 'upward', data: names });
      }
    };
    return {
      Program(node) {
        if (from.rank < 0) {
          context.report({
            node,
            messageId: 'unknown',
            data: {
              file: relative(srcRoot, file),
              process: from.process,
              order: from.order.join(' < '),
            },
          });
        }
      },
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => check(node.source, node.source.value),
    };
  },
};

export default { rules: { layers: rule } };
