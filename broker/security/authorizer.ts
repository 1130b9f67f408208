// Owns authorization as Kafka's StandardAuthorizer decides it: super users
// may do anything; a matching DENY wins over any ALLOW; a matching ALLOW (with
// Kafka's implied operations) allows; a resource no ACL names at all is
// allowed only with allow.everyone.if.no.acl.found. The bindings are every
// broker's copy of the metadata store's (AclStore). Off unless
// authorizer.class.name is set: then everything is allowed, as in Kafka.
// Must not know which API asks.

import { AclPermission, PatternType, WILDCARD, appliesTo, patternCovers, type AclBinding } from './acl.ts';

export interface AuthorizerOptions {
  enabled: boolean;
  superUsers: ReadonlySet<string>;
  allowEveryoneIfNoAclFound: boolean;
}

export class Authorizer {
  private readonly opts: AuthorizerOptions;
  private readonly bindings: () => readonly AclBinding[];
  readonly stats = { allowed: 0, denied: 0 };

  constructor(opts: AuthorizerOptions, bindings: () => readonly AclBinding[]) {
    this.opts = opts;
    this.bindings = bindings;
  }

  get enabled(): boolean {
    return this.opts.enabled;
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    const ok = this.decide(principal, host, operation, resourceType, resourceName);
    if (this.opts.enabled) {
      if (ok) this.stats.allowed++;
      else this.stats.denied++;
    }
    return ok;
  }

  /**
   * Whether some ALLOW lets the principal do `operation` on some resource of
   * the type, and no DENY on every such resource ('*' or an empty prefix) takes it away.
   */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (!this.opts.enabled || this.opts.superUsers.has(principal)) return true;
    const applying = this.bindings().filter((b) => b.resourceType === resourceType && appliesTo(b, principal, host, operation));
    const deniedEverywhere = applying.some((b) => b.permission === AclPermission.DENY && (b.resourceName === WILDCARD || (b.patternType === PatternType.PREFIXED && b.resourceName === '')));
    return !deniedEverywhere && applying.some((b) => b.permission === AclPermission.ALLOW);
  }

  private decide(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    if (!this.opts.enabled || this.opts.superUsers.has(principal)) return true;
    const onResource = this.bindings().filter((b) => patternCovers(b, resourceType, resourceName));
    if (onResource.length === 0) return this.opts.allowEveryoneIfNoAclFound;
    const applying = onResource.filter((b) => appliesTo(b, principal, host, operation));
    if (applying.some((b) => b.permission === AclPermission.DENY)) return false;
    return applying.some((b) => b.permission === AclPermission.ALLOW);
  }
}
