// Polls a condition until it holds or a deadline passes, so tests wait for
// what they name instead of sleeping for a guessed time.

/**
 * Resolves once `cond` holds; after `ms`, fails naming `what` and, when given,
 * what `state()` says about the system then (a failure in CI is then a report
 * to read, not a riddle).
 */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 50, state?: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      const seen = state === undefined ? '' : `; state then: ${await Promise.resolve().then(state).catch((e: unknown) => `(unreadable: ${String(e)})`)}`;
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
