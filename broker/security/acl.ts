// Owns Kafka's ACL model: resource types, pattern types, operations and
// permissions with their wire numbers, an ACL binding, and the two kinds of
// matching Kafka has — a binding against a request (the authorizer's:
// literal, wildcard '*' and prefixed names, principal and host with '*') and
// a filter against a binding (DescribeAcls/DeleteAcls: ANY matches anything,
// MATCH a pattern type that would match the name). Must not store anything.

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The cluster resource's one name. */
export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD = '*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

const values = (o: Record<string, number>): Set<number> => new Set(Object.values(o));
const RESOURCE_TYPES = values(ResourceType);
const OPERATIONS = values(AclOperation);

/** Why a binding cannot be created (as Kafka's CreateAcls checks), or undefined. */
export function invalidBinding(b: AclBinding): string | undefined {
  if (!RESOURCE_TYPES.has(b.resourceType) || b.resourceType === ResourceType.UNKNOWN || b.resourceType === ResourceType.ANY) return 'Invalid resource type';
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return 'Invalid pattern type: only LITERAL and PREFIXED can be created';
  if (!OPERATIONS.has(b.operation) || b.operation === AclOperation.UNKNOWN || b.operation === AclOperation.ANY) return 'Invalid operation';
  if (b.permission !== AclPermission.ALLOW && b.permission !== AclPermission.DENY) return 'Invalid permission type';
  if (b.resourceName === '') return 'Resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && (b.resourceName !== CLUSTER_NAME || b.patternType !== PatternType.LITERAL)) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!/^[^:]+:.+$/.test(b.principal)) return `Invalid principal ${JSON.stringify(b.principal)}: expected TYPE:NAME`;
  if (b.host === '') return 'Host must not be empty';
  return undefined;
}

/** Operations an ALLOW on `granted` also allows (Kafka: READ, WRITE, DELETE, ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS). */
function implies(granted: number, wanted: number): boolean {
  if (granted === wanted || granted === AclOperation.ALL) return true;
  if (wanted === AclOperation.DESCRIBE) return granted === AclOperation.READ || granted === AclOperation.WRITE || granted === AclOperation.DELETE || granted === AclOperation.ALTER;
  if (wanted === AclOperation.DESCRIBE_CONFIGS) return granted === AclOperation.ALTER_CONFIGS;
  return false;
}

/** Whether a binding's resource pattern covers the resource `name` of `type`. */
export function patternCovers(b: AclBinding, type: number, name: string): boolean {
  if (b.resourceType !== type) return false;
  if (b.patternType === PatternType.LITERAL) return b.resourceName === name || b.resourceName === WILDCARD;
  return b.patternType === PatternType.PREFIXED && name.startsWith(b.resourceName);
}

/** Whether the binding applies to this principal and host, for this operation (ALLOW with implications, DENY as given). */
export function appliesTo(b: AclBinding, principal: string, host: string, operation: number): boolean {
  if (b.principal !== principal && b.principal !== 'User:*') return false;
  if (b.host !== host && b.host !== WILDCARD) return false;
  // A DENY of DESCRIBE is not implied by denying READ; a DENY of ALL denies everything.
  return b.permission === AclPermission.ALLOW ? implies(b.operation, operation) : (b.operation === operation || b.operation === AclOperation.ALL);
}

/** DescribeAcls / DeleteAcls: whether the filter selects the binding. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permission !== AclPermission.ANY && f.permission !== b.permission) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.patternType === PatternType.MATCH) {
    // Bindings that would apply to the named resource: literal equal or '*', or a prefix of it.
    if (f.resourceName === null) return true;
    return b.patternType === PatternType.LITERAL ? (b.resourceName === f.resourceName || b.resourceName === WILDCARD) : f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

/** Why a DescribeAcls / DeleteAcls filter is not valid, or undefined. */
export function invalidFilter(f: AclFilter): string | undefined {
  if (f.resourceType === ResourceType.UNKNOWN || !RESOURCE_TYPES.has(f.resourceType)) return 'Invalid resource type filter';
  if (f.patternType === PatternType.UNKNOWN || f.patternType > PatternType.PREFIXED || f.patternType < 0) return 'Invalid pattern type filter';
  if (f.operation === AclOperation.UNKNOWN || !OPERATIONS.has(f.operation)) return 'Invalid operation filter';
  if (f.permission === AclPermission.UNKNOWN || f.permission > AclPermission.ALLOW || f.permission < 0) return 'Invalid permission filter';
  return undefined;
}
