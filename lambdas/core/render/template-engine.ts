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
} from '#templates/generated/templates';
import { formatDate, formatNumber, formatShare, plural } from './format';
import type { HelperName } from './helper-names';

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
