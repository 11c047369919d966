import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * Deciders are pure: the lint rule in eslint.config.js allows them
 * @aos/domain, @aos/errors, zod and other deciders, nothing else. This checks
 * the rule itself (a decider that imports a framework, a transport, a store
 * client or the generated contracts is refused) and that every decider in the
 * tree passes it, whatever Nx project tags say.
 */
const ROOT = join(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: ROOT });

async function restrictedImports(source: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('decider imports', () => {
  it.each([
    ["import { Injectable } from '@nestjs/common';", '@nestjs/common'],
    ["import { connect } from '@nats-io/transport-node';", '@nats-io/transport-node'],
    ["import type { Metadata } from '@grpc/grpc-js';", '@grpc/grpc-js'],
    ["import { EventStoreDBClient } from '@eventstore/db-client';", '@eventstore/db-client'],
    ["import type { EventStore } from '@aos/event-store';", '@aos/event-store'],
    ["import type { Agent } from '@aos/contracts';", '@aos/contracts'],
    ["import { AgentProjection } from './agent.projection';", './agent.projection'],
  ])('refuses %s', async (line, module) => {
    const messages = await restrictedImports(`${line}\nexport const x = 1;\n`, 'services/x/src/y/y.decider.ts');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`'${module}'`);
  });

  it('allows the domain library, the typed errors, zod and other deciders', async () => {
    const source = [
      "import type { AgentEvent } from '@aos/domain';",
      "import { NotFoundError } from '@aos/errors';",
      "import type { z } from 'zod';",
      "import { decide } from './other.decider';",
      "import { evolve } from '../task/task.decider';",
      'export const x = [NotFoundError, decide, evolve];',
      'export type Y = AgentEvent | z.ZodType;',
    ].join('\n');
    expect(await restrictedImports(source, 'services/x/src/y/y.decider.ts')).toEqual([]);
  });

  it('holds for every decider in the tree and for the domain library', async () => {
    const results = await eslint.lintFiles(['services/*/src/**/*.decider.ts', 'libs/domain/src/**/*.ts']);
    expect(results.filter((r) => r.filePath.endsWith('.decider.ts')).length).toBeGreaterThan(8);
    const refused = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${relative(ROOT, r.filePath)}: ${m.message}`),
    );
    expect(refused).toEqual([]);
  });
});
