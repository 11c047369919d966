import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../src/keyed-mutex';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('KeyedMutex', () => {
  it('runs sections of one key one at a time, in arrival order', async () => {
    const mutex = new KeyedMutex();
    const trace: string[] = [];
    const section = (name: string) => async () => {
      trace.push(`${name} in`);
      await tick();
      trace.push(`${name} out`);
      return name;
    };
    const results = await Promise.all([
      mutex.run('k', section('a')),
      mutex.run('k', section('b')),
      mutex.run('k', section('c')),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(trace).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('lets different keys run at the same time', async () => {
    const mutex = new KeyedMutex();
    const trace: string[] = [];
    await Promise.all(
      ['x', 'y'].map((key) =>
        mutex.run(key, async () => {
          trace.push(`${key} in`);
          await tick();
          trace.push(`${key} out`);
        }),
      ),
    );
    expect(trace.slice(0, 2).sort()).toEqual(['x in', 'y in']);
  });

  it('releases the key when a section throws, and forgets idle keys', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 'after')).resolves.toBe('after');
    expect(mutex.size).toBe(0);
  });
});
