// The files a training run writes, under hostile or unlucky conditions: the
// path is checked before the first epoch, nothing but a regular file is ever
// replaced, one run at a time per model (a lock, taken over from a dead run),
// a killed run's temporary files are cleared, a model of other settings is
// not replaced without --force, and a run whose npm is killed stops.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotAFileError, writeFileAtomic } from '../src/node/atomic.js';
import { RunError, UsageError } from '../src/node/cli.js';
import { checkOutput, OutputLock, removeStaleTemps } from '../src/node/run-files.js';
import { randomImages, writeMnistDir } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'digitnet-runfiles-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dataDir = join(root, 'mnist');
writeMnistDir(dataDir, randomImages(1, 120), randomImages(2, 30));

function train(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '..', 'scripts', 'train.ts'), '--data-dir', dataDir, ...args], {
    encoding: 'utf8', cwd: options.cwd ?? root, env: { ...process.env, ...options.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('atomic writes replace only regular files', () => {
  it('refuses a link, a device or a folder at the path, and leaves it as it was', () => {
    const dir = join(root, 'atomic');
    mkdirSync(dir);
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'KEEP');
    symlinkSync(target, join(dir, 'link.json'));
    mkdirSync(join(dir, 'folder.json'));
    for (const path of [join(dir, 'link.json'), join(dir, 'folder.json'), '/dev/null']) {
      expect(() => writeFileAtomic(path, 'x'), path).toThrow(NotAFileError);
    }
    expect(readlinkSync(join(dir, 'link.json'))).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('KEEP');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['folder.json', 'link.json', 'target.txt']); // no temporary file left
    writeFileAtomic(target, 'NEW');
    expect(readFileSync(target, 'utf8')).toBe('NEW');
  });
});

describe('checkOutput', () => {
  it('refuses an empty path, a folder, a device, a link, and a folder that takes no files', () => {
    const dir = join(root, 'check');
    mkdirSync(dir);
    symlinkSync('/etc/passwd', join(dir, 'evil.json'));
    writeFileSync(join(dir, 'model.json'), '{}');
    symlinkSync('/etc/passwd', join(dir, 'model.svg'));
    const cases: [string, string[], string][] = [
      ['', [], '--out must name a file, e.g. --out data/models/mine.json'],
      [`${dir}/`, [], `--out ${dir}/ names a folder; give a file name, e.g. ${dir}/mine.json`],
      [dir, [], `--out ${dir} is a folder; refusing to replace it: pass a path for a new file or a model file`],
      ['/dev/null', [], '--out /dev/null is a device; refusing to replace it: pass a path for a new file or a model file'],
      [join(dir, 'evil.json'), [], `--out ${join(dir, 'evil.json')} is a symbolic link; refusing to replace it: pass a path for a new file or a model file`],
      [join(dir, 'model.json'), [join(dir, 'model.svg')], `--out's companion file ${join(dir, 'model.svg')} is a symbolic link; refusing to replace it`],
    ];
    for (const [path, siblings, message] of cases) {
      expect(() => checkOutput(path, siblings), path).toThrow(UsageError);
      expect(() => checkOutput(path, siblings), path).toThrow(message);
    }
    expect(() => checkOutput('/proc/x.json')).toThrow(RunError);
    expect(() => checkOutput('/proc/x.json')).toThrow('cannot write /proc/x.json: files cannot be created there; pass --out with a path in a writable folder');
    expect(() => checkOutput(join(dir, 'model.json', 'inside.json'))).toThrow('a part of the path is not a folder');
    checkOutput(join(dir, 'new', 'fresh.json')); // a folder that can be made is fine
    expect(existsSync(join(dir, 'new'))).toBe(true);
    expect(readdirSync(join(dir, 'new'))).toEqual([]); // the probe is gone
  });
});

describe('OutputLock', () => {
  it('is exclusive while its process lives, taken over from a dead one, and released', () => {
    const model = join(root, 'lock', 'm.json');
    mkdirSync(join(root, 'lock'));
    const lock = OutputLock.take(model);
    expect(JSON.parse(readFileSync(`${model}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    // this process holds it and lives: a second take is refused
    expect(() => OutputLock.take(model)).toThrow(`${model} is being written by another training run (pid ${process.pid}); wait for it to finish, or pass another --out`);
    lock.release();
    expect(existsSync(`${model}.lock`)).toBe(false);
    // a lock left by a killed run is stale
    writeFileSync(`${model}.lock`, JSON.stringify({ pid: deadPid(), host: hostname() }));
    const again = OutputLock.take(model);
    expect(JSON.parse(readFileSync(`${model}.lock`, 'utf8')).pid).toBe(process.pid);
    again.release();
    // a half-written lock file is stale too
    writeFileSync(`${model}.lock`, '{"pi');
    OutputLock.take(model).release();
    // another host's run cannot be checked: refused, with what to do
    writeFileSync(`${model}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere' }));
    expect(() => OutputLock.take(model)).toThrow('is being written by a run on elsewhere (pid 1');
  });
});

describe('removeStaleTemps', () => {
  it("removes the model's own leftover temporary files only", () => {
    const dir = join(root, 'temps');
    mkdirSync(dir);
    const model = join(dir, 'run.json');
    for (const f of ['run.json.tmp-123-abc', 'run.metrics.json.tmp-9-x', 'run.json', 'other.json.tmp-1-a', 'run.jsonx']) writeFileSync(join(dir, f), '');
    mkdirSync(join(dir, 'run.json.tmp-folder'));
    const removed = removeStaleTemps([model, join(dir, 'run.metrics.json')]);
    expect(removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['run.json.tmp-123-abc', 'run.metrics.json.tmp-9-x']);
    expect(readdirSync(dir).sort()).toEqual(['other.json.tmp-1-a', 'run.json', 'run.json.tmp-folder', 'run.jsonx']);
  });
});

describe('train: the output file', () => {
  it('is checked before any training: /dev/null, a folder, /proc', () => {
    for (const [out, code, message] of [
      ['/dev/null', 2, 'train: --out /dev/null is a device; refusing to replace it: pass a path for a new file or a model file'],
      [root, 2, `train: --out ${root} is a folder; refusing to replace it: pass a path for a new file or a model file`],
      ['/proc/x', 1, 'train: cannot write /proc/x: files cannot be created there; pass --out with a path in a writable folder'],
    ] as [string, number, string][]) {
      const r = train(['--out', out, '--epochs', '1']);
      expect(r.code, out).toBe(code);
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.stdout).not.toContain('Epoch');
    }
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('is refused while another run writes it, and taken over from a run that was killed', () => {
    const out = join(root, 'locked.json');
    // a live process holds the lock: this test's own process
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid, host: hostname() }));
    const busy = train(['--out', out, '--epochs', '1']);
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toBe(`train: ${out} is being written by another training run (pid ${process.pid}); wait for it to finish, or pass another --out`);
    expect(existsSync(out)).toBe(false);
    // its run was killed: the lock is stale, and the temporary file it left is cleared
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: deadPid(), host: hostname() }));
    writeFileSync(`${out}.tmp-4242-deadbeef`, '{"half": ');
    const r = train(['--out', out, '--epochs', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed 1 temporary file an interrupted run left beside ${out}`);
    expect(existsSync(`${out}.tmp-4242-deadbeef`)).toBe(false);
    expect(existsSync(`${out}.lock`)).toBe(false); // released at the end
    expect(JSON.parse(readFileSync(out, 'utf8')).meta.epochsCompleted).toBe(1);
  });

  it('another run with other settings does not replace a model without --force; the same settings may', () => {
    const out = join(root, 'settings.json');
    expect(train(['--out', out, '--epochs', '1']).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    const other = train(['--out', out, '--epochs', '1', '--cost', 'log-likelihood']);
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe(
      `train: ${out} holds a run with other settings (cost QuadraticCost there, LogLikelihoodCost here); pass another --out, --resume it to continue it, or --force to replace it`,
    );
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(train(['--out', out, '--epochs', '1']).code).toBe(0); // the same run again: the same bytes
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(train(['--out', out, '--epochs', '1', '--cost', 'log-likelihood', '--force']).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).cost).toBe('LogLikelihoodCost');
    // a file that is not a model at all
    const notes = join(root, 'notes.json');
    writeFileSync(notes, '{"todo": 1}');
    const r = train(['--out', notes, '--epochs', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`train: ${notes} exists and is not a digitnet model this run can replace`);
    expect(readFileSync(notes, 'utf8')).toBe('{"todo": 1}');
  });

  it('default names: runs with other settings (or other data) get other files', () => {
    const cwd = join(root, 'names');
    mkdirSync(cwd);
    const a = train(['--epochs', '1', '--quiet'], { cwd });
    const b = train(['--epochs', '1', '--quiet', '--cost', 'cross-entropy', '--eta', '0.5'], { cwd });
    const c = train(['--epochs', '1', '--quiet', '--preset', 'ch3-ce-30', '--train-size', '50'], { cwd });
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    expect(readdirSync(join(cwd, 'data', 'models')).filter((f) => !f.includes('.metrics.') && f.endsWith('.json')).sort()).toEqual([
      '784-30-10-data-mnist-cross-entropy-eta0.5-epochs1-seed1.json',
      '784-30-10-data-mnist-epochs1-seed1.json',
      'ch3-ce-30-784-30-10-data-mnist-epochs1-train50-seed1.json',
    ]);
  });
});

describe('train under npm: a killed npm does not leave the run training', () => {
  it('npm run train is one process under npm, which stops when npm is killed -9 and releases its lock', async () => {
    const out = join(root, 'orphan.json');
    const npm = spawn('npm', ['run', '--silent', 'train', '--', '--data-dir', dataDir, '--out', out, '--epochs', '100000', '--train-size', '100', '--batch-size', '1', '--threads', '1', '--quiet'], {
      cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    npm.stderr.on('data', (c) => (stderr += c));
    // wait (bounded) until the run is training: its first epoch is saved, and its lock names it
    for (let i = 0; i < 300 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(out), stderr).toBe(true);
    const runPid = JSON.parse(readFileSync(`${out}.lock`, 'utf8')).pid as number;
    // no shell or tsx wrapper in between: the run is npm's own child
    expect(readFileSync(`/proc/${runPid}/stat`, 'utf8').split(') ')[1].split(' ')[1]).toBe(String(npm.pid));
    npm.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(runPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    const stillAlive = alive();
    if (stillAlive) process.kill(runPid, 'SIGKILL');
    expect(stillAlive).toBe(false);
    expect(existsSync(`${out}.lock`)).toBe(false);
    expect(JSON.parse(readFileSync(out, 'utf8')).meta.epochsCompleted).toBeGreaterThanOrEqual(1); // the last checkpoint is kept
  });
});
