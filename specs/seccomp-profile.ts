// Seccomp profiles in Docker's JSON format (what `docker run --security-opt seccomp=FILE` and a
// Kubernetes Localhost profile take): the default action, the architectures (or Docker's archMap),
// and rules each allowing or refusing syscalls, with argument conditions, included or excluded by
// capability, architecture and kernel version. Parsed strictly: a field berth does not know is an
// error (a typo would otherwise loosen nothing and tighten nothing, silently).
import { readFileSync } from 'node:fs';
import { yamlTree } from './yaml-tree.ts';
import { z } from 'zod';
import { formatPath, problemsFromIssues } from './problems.ts';

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'] as const;
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
const ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
] as const;
const FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] as const;

/** An argument value: JSON numbers past 2^53 lose their low bits in JavaScript, so they are refused. */
const u64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER, 'is above 2^53: berth cannot read it exactly; write a smaller mask');
const errno = z.number().int().min(0).max(4095);

const Conditions = z.strictObject({
  /** Go's architecture names, as Docker's profile: amd64, arm64, x86, s390x… */
  arches: z.array(z.string().min(1)).optional(),
  caps: z.array(z.string().regex(/^CAP_[A-Z_]+$/, 'must be a capability name such as CAP_SYS_ADMIN')).optional(),
  minKernel: z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'must be a kernel version such as 4.8').optional(),
});

export const SeccompRule = z.strictObject({
  names: z.array(z.string().min(1)).min(1).optional(),
  /** The older single-name form. */
  name: z.string().min(1).optional(),
  action: z.enum(ACTIONS),
  errnoRet: errno.optional(),
  args: z
    .array(z.strictObject({ index: z.number().int().min(0).max(5), value: u64, valueTwo: u64.optional(), op: z.enum(OPS) }))
    .max(6)
    .nullable()
    .optional(),
  comment: z.string().optional(),
  includes: Conditions.optional(),
  excludes: Conditions.optional(),
}).refine((r) => r.names !== undefined || r.name !== undefined, 'a rule needs names (the syscalls it is about)');

export const SeccompProfile = z.strictObject({
  defaultAction: z.enum(ACTIONS),
  defaultErrnoRet: errno.optional(),
  architectures: z.array(z.enum(ARCHES)).nullable().optional(),
  archMap: z.array(z.strictObject({ architecture: z.enum(ARCHES), subArchitectures: z.array(z.enum(ARCHES)).nullable().optional() })).nullable().optional(),
  flags: z.array(z.enum(FLAGS)).nullable().optional(),
  syscalls: z.array(SeccompRule).nullable().optional(),
});

export type SeccompProfile = z.output<typeof SeccompProfile>;
export type SeccompRule = z.output<typeof SeccompRule>;

/** "L:C" of a character offset in text. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/**
 * Where JSON.parse stopped: its message says so for some errors ("at position N"), not for others
 * ("Unexpected token '}', ... is not valid JSON"); then the yaml parser (JSON's syntax is YAML's
 * flow syntax) locates the same mistake.
 */
function errorAt(text: string, message: string): string | undefined {
  const pos = /position (\d+)/.exec(message);
  if (pos) return lineCol(text, Number(pos[1]));
  const { LineCounter, parseDocument } = yamlTree();
  const lc = new LineCounter();
  const e = parseDocument(text, { lineCounter: lc, prettyErrors: false }).errors[0];
  if (!e) return undefined;
  const { line, col } = lc.linePos(e.pos[0]);
  return `${line}:${col}`;
}

/**
 * A profile from its text; the error says what and where in the profile ("FILE:3:7: …", or the
 * JSON path of a field of the wrong shape).
 */
export function parseSeccompProfile(text: string, file: string): { profile: SeccompProfile } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ');
    const at = errorAt(text, msg);
    return { error: `${file}${at ? `:${at}` : ''}: not a seccomp profile: the JSON does not parse (${msg})` };
  }
  const r = SeccompProfile.safeParse(value, { reportInput: true });
  if (r.success) return { profile: r.data };
  const p = problemsFromIssues(r.error.issues, SeccompProfile)[0]!;
  return { error: `${file}: not a seccomp profile in Docker's format: ${p.path.length ? `${formatPath(p.path)}: ` : ''}${p.message}` };
}

/** Reads and parses a profile file; the error names the file and what is wrong with it. */
export function readSeccompProfile(file: string): { profile: SeccompProfile } | { error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { error: `cannot read the seccomp profile ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  return parseSeccompProfile(text, file);
}
