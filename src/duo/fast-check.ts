/**
 * A plain predicate compiled from a zod wire schema, for the records of Duo's log pages: zod
 * copies every object of every record it accepts (and allocates its own bookkeeping besides),
 * which made validation and the garbage it left a visible share of ingest. When the predicate
 * holds, zod would accept the record and give back an equal copy, so the record is used as it
 * is; when it fails, zod parses the record and words the error, exactly as before.
 *
 * Only what the log schemas use is understood: strings (with a minimum length), numbers (with
 * `.int()`), booleans, unknown, optional, nullable, unions, arrays and `looseObject`s. A
 * schema with anything else (a transform, a refinement, a strict object) gets no predicate,
 * and zod checks every record of it.
 *
 * @example const check = fastCheckOf(AuthLogSchema); check?.(record) // true: zod accepts it as is
 */
import type { z } from 'zod';

export type FastCheck = (value: unknown) => boolean;

class Unsupported extends Error {}

const compiled = new WeakMap<z.ZodType, FastCheck | null>();

/** The schema's predicate, or undefined when the schema has a part it does not understand. */
export function fastCheckOf(schema: z.ZodType): FastCheck | undefined {
  let check = compiled.get(schema);
  if (check === undefined) {
    try {
      check = build(schema);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      check = null;
    }
    compiled.set(schema, check);
  }
  return check ?? undefined;
}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly innerType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly element?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly catchall?: z.ZodType;
  /** Set on schemas that are themselves a check (`z.email()`, `z.int()`). */
  readonly format?: string;
}

interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly format?: string;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function checksOf(def: Def): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def);
}

function build(schema: z.ZodType): FastCheck {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      if (def.format !== undefined) throw new Unsupported(def.format);
      return stringCheck(checksOf(def));
    case 'number':
      return numberCheck([
        ...checksOf(def),
        ...(def.format === undefined ? [] : [formatCheck(def)]),
      ]);
    case 'boolean':
      noChecks(def);
      return (v) => typeof v === 'boolean';
    case 'unknown':
      noChecks(def);
      return () => true;
    case 'optional': {
      noChecks(def);
      const inner = build(required(def.innerType));
      return (v) => v === undefined || inner(v);
    }
    case 'nullable': {
      noChecks(def);
      const inner = build(required(def.innerType));
      return (v) => v === null || inner(v);
    }
    case 'union': {
      noChecks(def);
      const options = (def.options ?? []).map(build);
      return (v) => options.some((option) => option(v));
    }
    case 'array': {
      noChecks(def);
      const element = build(required(def.element));
      return (v) => Array.isArray(v) && v.every(element);
    }
    case 'object':
      return looseObjectCheck(def);
    default:
      throw new Unsupported(def.type);
  }
}

function formatCheck(def: Def): CheckDef {
  return { check: 'number_format', ...(def.format === undefined ? {} : { format: def.format }) };
}

function stringCheck(checks: readonly CheckDef[]): FastCheck {
  let min = 0;
  for (const check of checks) {
    if (check.check !== 'min_length' || check.minimum === undefined) throw new Unsupported();
    min = Math.max(min, check.minimum);
  }
  return (v) => typeof v === 'string' && v.length >= min;
}

function numberCheck(checks: readonly CheckDef[]): FastCheck {
  let integer = false;
  for (const check of checks) {
    if (check.check !== 'number_format' || check.format !== 'safeint') throw new Unsupported();
    integer = true;
  }
  return integer ? (v) => Number.isSafeInteger(v) : (v) => Number.isFinite(v);
}

/** A `looseObject`: every shape key checked (absent reads as undefined), other keys kept. */
function looseObjectCheck(def: Def): FastCheck {
  noChecks(def);
  if (def.catchall === undefined || defOf(def.catchall).type !== 'unknown')
    throw new Unsupported('only looseObject');
  const fields = Object.entries(def.shape ?? {}).map(
    ([key, field]) => [key, build(field)] as const,
  );
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const record = v as Record<string, unknown>;
    for (const [key, check] of fields) if (!check(record[key])) return false;
    return true;
  };
}

function noChecks(def: Def): void {
  if ((def.checks ?? []).length > 0 || def.format !== undefined) throw new Unsupported();
}

function required(schema: z.ZodType | undefined): z.ZodType {
  if (schema === undefined) throw new Unsupported();
  return schema;
}
