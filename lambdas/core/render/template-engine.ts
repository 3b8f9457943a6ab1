/**
 * The one Handlebars environment: the runtime only (templates arrive precompiled from
 * templates/generated/), its own instance so nothing global is touched, helpers and partials
 * registered once on first use.
 */
import Handlebars from 'handlebars/runtime';
import type { CompiledTemplate, TemplateSpec } from '#templates/generated/templates';
import { formatDate, formatNumber, formatShare, plural } from './format';
import type { HelperName } from './helper-names';

type Environment = ReturnType<typeof Handlebars.create>;
type Delegate = (context: object) => string;

let environment: Environment | undefined;
const compiled = new WeakMap<CompiledTemplate, Delegate>();
const registered = new Set<string>();

// A helper called without its argument receives Handlebars' options object: name the type only.
function requireNumber(helper: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`{{${helper}}} expects a finite number, got ${typeof value}`);
  }
  return value;
}

function requireString(helper: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`{{${helper}}} expects a string, got ${typeof value}`);
  return value;
}

/**
 * Helpers return plain strings, so Handlebars escapes what they produce like any other value.
 * The names are those the compiler was told about (helper-names.ts): `{{number}}` would call the
 * helper, so no view-model field is named like one.
 */
function registerHelpers(env: Environment): void {
  const helpers: Record<HelperName, (...args: unknown[]) => unknown> = {
    number: (value) => formatNumber(requireNumber('number', value)),
    percent: (value) => formatShare(requireNumber('percent', value)),
    longDate: (value) => formatDate(requireString('longDate', value)),
    shortDate: (value) => formatDate(requireString('shortDate', value), true),
    plural: (count, one, many) =>
      plural(requireNumber('plural', count), requireString('plural', one), requireString('plural', many)),
    eq: (a, b) => a === b,
  };
  for (const [name, helper] of Object.entries(helpers)) env.registerHelper(name, helper);
}

function spec(value: TemplateSpec): Parameters<Environment['template']>[0] {
  return value;
}

function env(): Environment {
  if (environment) return environment;
  const created = Handlebars.create();
  registerHelpers(created);
  environment = created;
  return created;
}

/** The template, compiled on first use, with the partials it renders registered by name. */
function delegate(template: CompiledTemplate): Delegate {
  let render = compiled.get(template);
  if (render) return render;
  const handlebars = env();
  for (const [name, partial] of Object.entries(template.partials)) {
    if (registered.has(name)) continue;
    handlebars.registerPartial(name, handlebars.template(spec(partial)));
    registered.add(name);
  }
  render = handlebars.template(spec(template.spec));
  compiled.set(template, render);
  return render;
}

/**
 * Renders one template of templates/ (an export of the generated module, e.g. `pageTemplate`) with its
 * view model. Strict: a field the template reads that the view lacks is an error, named with the
 * template (the compiled templates keep no line numbers).
 */
export function renderTemplate(template: CompiledTemplate, view: object): string {
  const render = delegate(template);
  try {
    return render(view);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`templates/${template.name}.hbs: ${message}`, { cause: error });
  }
}
