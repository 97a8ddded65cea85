// The package as another project sees it: the README's example runs against
// the built entry points ('digitnet', 'digitnet/node'), and the shared part
// of src/ imports no Node module.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const projectRoot = join(import.meta.dirname, '..');

describe('library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digitnet-consumer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the README's example trains, evaluates, predicts and saves", () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const block = readme.match(/<!-- example[^>]*-->\s*```ts\n([\s\S]*?)```/);
    expect(block).not.toBeNull();
    const code = block![1];
    expect(code.trim().split('\n').length).toBeLessThanOrEqual(13);
    // a consumer project with digitnet installed in its node_modules
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(projectRoot, join(dir, 'node_modules', 'digitnet'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    writeFileSync(join(dir, 'example.ts'), code);
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), 'example.ts'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = r.stdout.match(/^(\d+) of 10000 test images right\nthe first test image is a (\d)\n$/);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(8000); // one epoch of the book's run: ~90%
    expect(existsSync(join(dir, 'data', 'models', 'example.json'))).toBe(true);
  });
});

describe('layout', () => {
  function filesUnder(d: string): string[] {
    return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)],
    );
  }

  it('src/ outside src/node/ imports no node: module (it runs in the browser)', () => {
    const shared = filesUnder(join(projectRoot, 'src')).filter((f) => !relative(projectRoot, f).startsWith('src/node/'));
    expect(shared.length).toBeGreaterThan(5);
    const offenders = shared.filter((f) => /from\s+['"]node:|import\(\s*['"]node:|require\(/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
