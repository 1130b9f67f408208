// Runs the Java programs built from test/support/java (Apache Kafka's client,
// tools and broker, pinned in its pom.xml; `.ci/run` builds it with Maven).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { runCommand, type CommandResult } from './run-command.ts';

const JAVA_DIR = join(import.meta.dirname, 'java');

/** The classpath of the check programs and Kafka's jars; a clear error when they were not built. */
export function javaClasspath(): string {
  const classes = join(JAVA_DIR, 'target', 'classes');
  const lib = join(JAVA_DIR, 'target', 'lib');
  if (!existsSync(join(classes, 'floe', 'check', 'ClientCheck.class')) || !existsSync(lib)) {
    throw new Error('the Java checks are not built: run `mvn -q -f test/support/java/pom.xml package` (.ci/run does)');
  }
  return `${classes}:${lib}/*`;
}

/** Runs a Java main class to completion (`jvmArgs` such as -Dname=value go before it). */
export function runJava(mainClass: string, args: string[], timeoutMs = 120_000, jvmArgs: string[] = []): Promise<CommandResult> {
  return runCommand('java', [...jvmArgs, '-cp', javaClasspath(), mainClass, ...args], { timeoutMs });
}

/** Starts a Java main class and returns the process (the caller ends it; its stdin is a pipe the caller may close). */
export function spawnJava(mainClass: string, args: string[]): ChildProcess {
  return spawn('java', ['-cp', javaClasspath(), mainClass, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The JSON lines a check program printed (SLF4J's notices and other text are skipped). */
export function jsonLines<T>(stdout: string): T[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as T);
}
