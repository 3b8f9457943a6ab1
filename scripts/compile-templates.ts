/**
 * Compiles templates/*.hbs (and templates/partials/*.hbs) into one generated TypeScript module of
 * precompiled Handlebars specs, and embeds the static files of templates/assets/ as strings.
 * Lambdas bundle that module: no template or asset is read from disk at run time, and only the
 * small Handlebars runtime ships (tsx, vitest and esbuild all see plain TS).
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import juice from 'juice';
import { HELPER_NAMES } from '#core/render/helper-names';

const root = fileURLToPath(new URL('../templates/', import.meta.url));
const out = join(root, 'generated', 'templates.ts');

/** Templates whose name ends so are plain text (an email's text part): nothing to HTML-escape. */
const PLAIN_TEXT_SUFFIX = '-text';

/**
 * HTML email templates: their CSS is inlined here, once, so no HTML parser runs in a Lambda (juice
 * and cheerio were most of the publisher's bundle). Their partials are expanded into them first,
 * so the partials' markup is inlined too; juice leaves `{{…}}` alone (its HBS code blocks).
 */
const INLINED_CSS_TEMPLATES = new Set(['email']);

/** The juice options the email always had: dark-mode rules stay in a <style> (they cannot be inlined). */
const JUICE_OPTIONS = { preserveMediaQueries: true, removeStyleTags: true, applyWidthAttributes: true };

/** `{{> name}}` replaced by the partial's source, recursively; a partial with arguments is refused. */
async function expandPartials(source: string, file: string, depth = 0): Promise<string> {
  if (depth > 5) throw new Error(`${file}: partials nested too deep`);
  const pattern = /\{\{>\s*([A-Za-z0-9_-]+)\s*([^}]*)\}\}/g;
  let expanded = '';
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    const [whole, name = '', rest = ''] = match;
    if (rest.trim() !== '')
      throw new Error(`${file}: {{> ${name} ${rest.trim()}}} takes arguments: inline it by hand`);
    // A standalone partial's last newline is dropped by Handlebars too.
    const partial = (await readFile(join(root, 'partials', `${name}.hbs`), 'utf8')).replace(/\n$/, '');
    expanded += source.slice(last, match.index) + (await expandPartials(partial, file, depth + 1));
    last = (match.index ?? 0) + whole.length;
  }
  return expanded + source.slice(last);
}

async function prepared(name: string, source: string, file: string): Promise<string> {
  if (!INLINED_CSS_TEMPLATES.has(name)) return source;
  return juice(await expandPartials(source, file), JUICE_OPTIONS);
}

async function filesEndingWith(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith(suffix)).sort();
  } catch {
    return [];
  }
}

function compile(source: string, file: string, plainText: boolean): string {
  try {
    // strict: a misspelt field is an error at render time, not an empty cell in a published table.
    // noEscape only for plain text, which no browser or mail client parses as HTML: escaping
    // there would show "&amp;" to the reader. Only the registered helpers are known, so every other
    // {{name}} compiles to a field lookup. precompile returns source text (its typings say otherwise).
    return String(
      Handlebars.precompile(source, {
        strict: true,
        noEscape: plainText,
        knownHelpers: Object.fromEntries(HELPER_NAMES.map((name) => [name, true])),
        knownHelpersOnly: true,
      }),
    );
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function union(names: string[]): string {
  return names.length === 0 ? 'never' : names.map((name) => JSON.stringify(name)).join(' | ');
}

async function specs(dir: string, label: string): Promise<{ names: string[]; entries: string[] }> {
  const names: string[] = [];
  const entries: string[] = [];
  for (const file of await filesEndingWith(dir, '.hbs')) {
    const name = basename(file, '.hbs');
    const spec = compile(
      await prepared(name, await readFile(join(dir, file), 'utf8'), `${label}${file}`),
      `${label}${file}`,
      name.endsWith(PLAIN_TEXT_SUFFIX),
    );
    names.push(name);
    entries.push(`  ${JSON.stringify(name)}: ${spec},`);
  }
  return { names, entries };
}

/**
 * Compiles templates/ into templates/generated/templates.ts. Run before `start` and `test`, and by
 * the CDK app itself before it bundles, so `cdk synth` works on a fresh clone. Writes only when the
 * output changed, so concurrent runs and file watchers see no churn.
 */
export async function compileTemplates(): Promise<void> {
  const tops = await specs(root, '');
  const parts = await specs(join(root, 'partials'), 'partials/');
  const assetDir = join(root, 'assets');
  const assetNames = await filesEndingWith(assetDir, '.css');
  const assetEntries: string[] = [];
  for (const file of assetNames) {
    assetEntries.push(
      `  ${JSON.stringify(file)}: ${JSON.stringify(await readFile(join(assetDir, file), 'utf8'))},`,
    );
  }

  const lines = [
    // The precompiled specs are untyped JavaScript; the annotations below type the exports.
    '// @ts-nocheck',
    '// Generated by scripts/compile-templates.ts from templates/: do not edit.',
    '// biome-ignore-all lint: generated code',
    '',
    '/** A precompiled Handlebars template: the argument of `Handlebars.template`. */',
    'export type TemplateSpec = Readonly<Record<string, unknown>>;',
    `export type TemplateName = ${union(tops.names)};`,
    `export type PartialName = ${union(parts.names)};`,
    `export type AssetName = ${union(assetNames)};`,
    '',
    'export const templates: Readonly<Record<TemplateName, TemplateSpec>> = {',
    ...tops.entries,
    '};',
    '',
    'export const partials: Readonly<Record<PartialName, TemplateSpec>> = {',
    ...parts.entries,
    '};',
    '',
    '/** templates/assets/: files the publisher uploads under /assets/ as they are. */',
    'export const assets: Readonly<Record<AssetName, string>> = {',
    ...assetEntries,
    '};',
    '',
  ];
  const text = lines.join('\n');
  const current = await readFile(out, 'utf8').catch(() => undefined);
  if (current === text) return;
  await mkdir(join(root, 'generated'), { recursive: true });
  // Written whole and renamed, so a concurrent reader never sees half a module.
  const temporary = `${out}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, out);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  compileTemplates().catch((error: unknown) => {
    console.error(`template compilation failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
