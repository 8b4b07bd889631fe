import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/log-then-exit.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('default destination (real stdout of a child process)', () => {
  it('every line is valid JSON with the documented fields, secrets redacted, none lost on process.exit', async () => {
    const { code, stdout, stderr } = await run({ LINES: '2000' });
    expect(stderr).toBe('');
    expect(code).toBe(3);
    const text = stdout.trimEnd();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('sid=1');
    const lines = text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2001);
    expect(lines.slice(0, 2000).map((l) => l['i'])).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'version']));
      expect(line).toMatchObject({ correlationId: 'exit-corr', roomId: 'ROOM', name: 'exit-test' });
    }
    expect(lines[0]).toMatchObject({ level: 'info', component: 'room', user: { password: '[REDACTED]' } });
    expect(lines[2000]).toMatchObject({ level: 'error', msg: 'fatal before exit', err: { message: 'last words' } });
  });
});
