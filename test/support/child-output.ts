// Waits for a line in a child process's output that says it is ready (and
// on which port), failing with everything it printed if it exits first.
// Servers under test bind port 0 and report the port they got, so parallel
// test files never race for a port picked in advance.

import type { ChildProcess } from 'node:child_process';

export interface ChildOutput {
  /** Everything the child printed so far (bounded). */
  text(): string;
}

/** Collects stdout and stderr of `child`, keeping the last ~100 KB. */
export function collectOutput(child: ChildProcess): ChildOutput {
  let log = '';
  const append = (d: Buffer): void => {
    log += d.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { text: () => log };
}

/** Resolves with the first match of `pattern` in the child's output. */
export function waitForOutput(child: ChildProcess, output: ChildOutput, pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = output.text().match(pattern);
      if (m === null) return false;
      done();
      resolve(m);
      return true;
    };
    const onData = (): void => { check(); };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (check()) return;
      done();
      reject(new Error(`${what} exited (${signal ?? code}) before it was ready:\n${output.text()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what} was not ready after ${timeoutMs} ms:\n${output.text()}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    // Listeners added after collectOutput's, so the text is complete when they run.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
    check();
  });
}
