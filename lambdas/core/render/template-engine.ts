/**
 * The one Handlebars environment: the runtime only (templates arrive precompiled from
 * templates/generated/), its own instance so nothing global is touched, helpers and partials
 * registered once on first use.
 */
import Handlebars from 'handlebars/runtime';
import {
  type PartialName,
  partials,
  type TemplateName,
  type TemplateSpec,
  templates,
} from '../../../templates/generated/templates';
import { formatDate, formatNumber, formatShare, plural } from './format';

type Environment = ReturnType<typeof Handlebars.create>;
type Delegate = (context: object) => string;

let environment: Environment | undefined;
const compiled = new Map<TemplateName, Delegate>();

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
 * Their names match no view-model field: `{{name}}` calls a helper before it reads a field.
 */
function registerHelpers(env: Environment): void {
  env.registerHelper('number', (value: unknown) => formatNumber(requireNumber('number', value)));
  env.registerHelper('percent', (value: unknown) => formatShare(requireNumber('percent', value)));
  env.registerHelper('longDate', (value: unknown) => formatDate(requireString('longDate', value)));
  env.registerHelper('shortDate', (value: unknown) => formatDate(requireString('shortDate', value), true));
  env.registerHelper('plural', (count: unknown, one: unknown, many: unknown) =>
    plural(requireNumber('plural', count), requireString('plural', one), requireString('plural', many)),
  );
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
}

function spec(value: TemplateSpec): Parameters<Environment['template']>[0] {
  return value;
}

function env(): Environment {
  if (environment) return environment;
  const created = Handlebars.create();
  registerHelpers(created);
  for (const [name, partial] of Object.entries(partials) as [PartialName, TemplateSpec][]) {
    created.registerPartial(name, created.template(spec(partial)));
  }
  environment = created;
  return created;
}

/** Renders one template of templates/ with its view model (strict: every field it reads must exist). */
export function renderTemplate(name: TemplateName, view: object): string {
  let template = compiled.get(name);
  if (!template) {
    template = env().template(spec(templates[name]));
    compiled.set(name, template);
  }
  return template(view);
}
