// Contract methods and events of the audit domain: Solidity source detectors, token-risk
// checklist, bytecode facts and a 0-100 score with its reasoning.
import { z } from 'zod';
import { ErrorCodes } from '../errors';
import { Address } from '../schemas';
import { method, type MethodMap } from './define';

export const AuditCategory = z.enum([
  'reentrancy',
  'access_control',
  'arithmetic',
  'unchecked_low_level_calls',
  'denial_of_service',
  'bad_randomness',
  'front_running',
  'time_manipulation',
  'short_addresses',
  'other',
]);
export type AuditCategory = z.infer<typeof AuditCategory>;

export const Severity = z.enum(['high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;
export const Confidence = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof Confidence>;

/** Who can make a privileged thing happen: the owner, a role holder, or any account. */
export const Trigger = z.enum(['owner', 'role', 'anyone', 'nobody']);
export type Trigger = z.infer<typeof Trigger>;

/** Where something stands in the sources: a file (its path inside the project), a contract, a function, 1-based lines. */
export const Evidence = z.object({
  file: z.string(),
  contract: z.string().nullable(),
  function: z.string().nullable(),
  line: z.number().int(),
  endLine: z.number().int(),
});
export type Evidence = z.infer<typeof Evidence>;

export const Finding = Evidence.extend({
  swc: z.string(),
  category: AuditCategory,
  severity: Severity,
  confidence: Confidence,
  title: z.string(),
  description: z.string(),
  recommendation: z.string(),
  detector: z.string(),
  /** Line where `function` starts (its header), when the finding is inside one. */
  functionLine: z.number().int().nullable().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const TokenRiskItem = z.object({
  value: z.union([z.boolean(), z.string(), z.null()]),
  who: Trigger.nullable(),
  evidence: z.array(Evidence),
  note: z.string().optional(),
});
export type TokenRiskItem = z.infer<typeof TokenRiskItem>;

/** Keys as the well-known token-security APIs name them (is_mintable, hidden_owner, ...). */
export const TokenRisk = z.record(z.string(), TokenRiskItem);
export type TokenRisk = z.infer<typeof TokenRisk>;

export const BytecodeFacts = z.object({
  address: z.string(),
  codeSize: z.number().int(),
  isProxy: z.boolean(),
  proxyKind: z.enum(['eip1967', 'eip1822', 'beacon', 'eip1167', 'none']),
  implementation: z.string().nullable(),
  admin: z.string().nullable(),
  beacon: z.string().nullable(),
  opcodes: z.object({ selfdestruct: z.boolean(), delegatecall: z.boolean(), callcode: z.boolean() }),
  selectors: z.array(z.string()),
  /** Selectors matched against known signatures (mint, pause, blacklist, setFee, upgradeTo, ...). */
  knownFunctions: z.array(z.object({ selector: z.string(), signature: z.string(), risk: z.string() })),
  /** The implementation's facts when this is a proxy (followed a few hops at most). */
  implementationFacts: z
    .object({ address: z.string(), codeSize: z.number().int(), opcodes: z.object({ selfdestruct: z.boolean(), delegatecall: z.boolean(), callcode: z.boolean() }), knownFunctions: z.array(z.object({ selector: z.string(), signature: z.string(), risk: z.string() })) })
    .nullable(),
});
export type BytecodeFacts = z.infer<typeof BytecodeFacts>;

export const SourceFileInfo = z.object({
  path: z.string(),
  lines: z.number().int(),
  content: z.string(),
  pragma: z.string().nullable(),
  contracts: z.array(z.object({ name: z.string(), kind: z.string(), line: z.number().int(), endLine: z.number().int() })),
});
export type SourceFileInfo = z.infer<typeof SourceFileInfo>;

/** A file or step the audit could not do; `code` classifies it like every other error (absent in reports stored before it existed). */
export const AuditError = z.object({ file: z.string().nullable(), line: z.number().int().nullable(), message: z.string(), code: z.enum(ErrorCodes).optional() });
export type AuditError = z.infer<typeof AuditError>;

export const ScoreItem = z.object({ reason: z.string(), points: z.number() });

export const AuditReport = z.object({
  findings: z.array(Finding),
  tokenRisk: TokenRisk,
  score: z.number().int().min(0).max(100),
  scoreReasoning: z.array(ScoreItem),
  errors: z.array(AuditError),
  files: z.array(SourceFileInfo),
  bytecode: BytecodeFacts.nullable(),
  target: z.object({ kind: z.enum(['source', 'address']), address: z.string().nullable(), chainId: z.number().int().nullable(), name: z.string().nullable() }),
  sourceHash: z.string(),
  detectorVersion: z.string(),
  auditedAt: z.string(),
  /** True when the stored result was reused because neither source nor detectors changed. */
  cached: z.boolean(),
  /**
   * True when some file could not be analysed (syntax error, a size or nesting limit, the time
   * budget): the findings are partial and the score is no better than they make it.
   */
  incomplete: z.boolean().default(false),
  ms: z.number(),
});
export type AuditReport = z.infer<typeof AuditReport>;

export const StoredAudit = z.object({
  chainId: z.number().int(),
  address: z.string(),
  name: z.string().nullable(),
  score: z.number().nullable(),
  auditedAt: z.string().nullable(),
  detectorVersion: z.string().nullable(),
  findings: z.object({ high: z.number().int(), medium: z.number().int(), low: z.number().int(), info: z.number().int() }),
});
export type StoredAudit = z.infer<typeof StoredAudit>;

const SourceInput = z.object({ path: z.string().min(1).max(1000), content: z.string().max(20_000_000) });

export const auditMethods = {
  'audit.source': method({
    description: 'Audits Solidity given as file contents (one file, a multi-file project or a standard-JSON input) or as a local file/directory path. Nothing is stored.',
    long: true,
    input: z
      .object({
        files: z.array(SourceInput).min(1).max(5000).optional(),
        path: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .refine((v) => (v.files === undefined) !== (v.path === undefined), 'give exactly one of files or path'),
    output: AuditReport,
  }),
  'audit.address': method({
    description: 'Audits a deployed contract: verified source (stored or fetched from the explorer) and bytecode read from chain; stores the findings and score. Re-audits only when the source or detectors changed, unless forced.',
    long: true,
    input: z.object({ address: Address, chainId: z.number().int().positive().optional(), force: z.boolean().default(false) }).strict(),
    output: AuditReport,
  }),
  'audit.get': method({
    description: 'The stored audit of a contract, or NOT_FOUND.',
    input: z.object({ address: Address, chainId: z.number().int().positive().optional() }).strict(),
    output: AuditReport,
  }),
  'audit.list': method({
    description: 'Stored audits (score and finding counts), optionally of one address.',
    input: z.object({ address: Address.optional(), limit: z.number().int().min(1).max(10_000).default(500) }).strict().default({ limit: 500 }),
    output: z.array(StoredAudit),
  }),
} satisfies MethodMap;

export const auditEvents = {
  'audit.completed': z.object({ address: z.string().nullable(), chainId: z.number().int().nullable(), score: z.number(), findings: z.number().int() }),
};
