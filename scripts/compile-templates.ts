/**
 * Compiles templates/*.hbs (and templates/partials/*.hbs) into one generated TypeScript module of
 * precompiled Handlebars specs, and embeds the static files of templates/assets/ as strings.
 * Lambdas bundle that module: no template or asset is read from disk at run time, and only the
 * small Handlebars runtime ships (tsx, vitest and esbuild all see plain TS).
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** `section-ii-part` → `sectionIiPart`: a template's export name. */
function exportName(name: string): string {
  return name.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The partials `{{> name}}` a source names directly. */
function partialsNamed(source: string): string[] {
  return [...source.matchAll(/\{\{~?>\s*([A-Za-z0-9_-]+)/g)].map((match) => match[1] ?? '');
}

/**
 * Where each template records a position for strict mode's "not defined" error: about a fifth of
 * the compiled bytes in every bundle. Dropped; `renderTemplate` names the template in its errors
 * instead, and the field is named by Handlebars, which is enough to find the line.
 */
const LOCATION = /\{"start":\{"line":\d+,"column":\d+\},"end":\{"line":\d+,"column":\d+\}\}/g;

/**
 * Each program repeats a fallback for runtimes older than 4.6 that lack `lookupProperty`; the
 * runtime we ship always has it.
 */
const LOOKUP_FALLBACK =
  /lookupProperty = container\.lookupProperty \|\| function\(parent, propertyName\) \{\s*if \(Object\.prototype\.hasOwnProperty\.call\(parent, propertyName\)\) \{\s*return parent\[propertyName\];\s*\}\s*return undefined\s*\}/g;

interface Compiled {
  name: string;
  spec: string;
  /** Partials named directly (the email's are expanded into it, so it names none). */
  partials: string[];
}

async function specs(dir: string, label: string): Promise<Compiled[]> {
  const compiled: Compiled[] = [];
  for (const file of await filesEndingWith(dir, '.hbs')) {
    const name = basename(file, '.hbs');
    const source = await prepared(name, await readFile(join(dir, file), 'utf8'), `${label}${file}`);
    const spec = compile(source, `${label}${file}`, name.endsWith(PLAIN_TEXT_SUFFIX))
      .replace(LOCATION, '0')
      .replace(LOOKUP_FALLBACK, 'lookupProperty = container.lookupProperty');
    compiled.push({ name, spec, partials: partialsNamed(source) });
  }
  return compiled;
}

/** Every partial `name` needs, its partials' partials included, in a stable order. */
function closure(names: string[], byName: Map<string, Compiled>, file: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const partial = byName.get(name);
    if (partial === undefined) throw new Error(`${file}: {{> ${name}}} names no file in templates/partials/`);
    seen.add(name);
    for (const inner of partial.partials) visit(inner);
  };
  for (const name of names) visit(name);
  return [...seen].sort();
}

/**
 * Compiles templates/ into templates/generated/templates.ts (through scripts/build-generated.ts).
 * Writes only when the output changed, so concurrent runs and file watchers see no churn.
 *
 * Each template is an export of its own that holds the partials it needs, and each partial a
 * module-level constant: a function's bundle then carries only the templates it renders (the
 * subscription endpoints render one small page, not the edition and the email).
 */
export async function compileTemplates(): Promise<void> {
  const tops = await specs(root, '');
  const parts = await specs(join(root, 'partials'), 'partials/');
  const byName = new Map(parts.map((part) => [part.name, part]));
  const assetDir = join(root, 'assets');
  const assetNames = await filesEndingWith(assetDir, '.css');

  const lines = [
    // The precompiled specs are untyped JavaScript; the annotations below type the exports.
    '// @ts-nocheck',
    '// Generated by scripts/compile-templates.ts from templates/: do not edit.',
    '// biome-ignore-all lint: generated code',
    '',
    '/** A precompiled Handlebars template: the argument of `Handlebars.template`. */',
    'export type TemplateSpec = Readonly<Record<string, unknown>>;',
    '',
    '/** One file of templates/ with every partial it renders, by name. */',
    'export interface CompiledTemplate {',
    '  readonly name: string;',
    '  readonly spec: TemplateSpec;',
    '  readonly partials: Readonly<Record<string, TemplateSpec>>;',
    '}',
    '',
  ];
  for (const part of parts) lines.push(`const partial_${exportName(part.name)} = ${part.spec};`, '');
  for (const top of tops) {
    const needed = closure(top.partials, byName, `${top.name}.hbs`);
    const partialEntries = needed.map((name) => `${JSON.stringify(name)}: partial_${exportName(name)}`);
    lines.push(
      `export const ${exportName(top.name)}Template: CompiledTemplate = {`,
      `  name: ${JSON.stringify(top.name)},`,
      `  spec: ${top.spec},`,
      `  partials: { ${partialEntries.join(', ')} },`,
      '};',
      '',
    );
  }
  lines.push('/** templates/assets/: files the publisher uploads under /assets/ as they are. */');
  for (const file of assetNames) {
    const text = await readFile(join(assetDir, file), 'utf8');
    lines.push(`export const ${exportName(basename(file, '.css'))}Css: string = ${JSON.stringify(text)};`);
  }
  lines.push('');
  const text = lines.join('\n');
  const current = await readFile(out, 'utf8').catch(() => undefined);
  if (current === text) return;
  await mkdir(join(root, 'generated'), { recursive: true });
  // Written whole and renamed, so a concurrent reader never sees half a module.
  const temporary = `${out}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, out);
}
