import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { cpuPerUnit, meterCpu, processes, processesNamed } from '../../bench/lib/cpu-meter.js';

/** A process that burns `ms` of its own CPU time once told to (a line on stdin), then says so and idles. */
function burner(ms: number) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `process.stdin.once('data', () => {
         const start = process.cpuUsage();
         for (;;) { const used = process.cpuUsage(start); if ((used.user + used.system) / 1000 >= ${ms}) break; }
         console.log('burnt');
         setInterval(() => {}, 1000);
       });
       console.log('ready');`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  const line = async (text: string) => {
    while (!output.includes(text)) await once(child.stdout, 'data');
  };
  return { child, line };
}

describe('CPU meter', () => {
  const busy = burner(400);
  const idle = burner(400);
  after(() => {
    busy.child.kill();
    idle.child.kill();
  });

  it('charges a process with the CPU time it spent while metered, and an idle one with none', async () => {
    await busy.line('ready');
    await idle.line('ready');
    const meter = meterCpu({ busy: processes(busy.child.pid), idle: processes(idle.child.pid), gone: processes(undefined) });
    busy.child.stdin.write('go\n');
    await busy.line('burnt');
    const reading = meter.stop();
    // Ticks of 10 ms, and the burner's own start-up runs before the meter: within a tick or two of 400.
    assert.ok(
      reading.byGroup.busy !== undefined && reading.byGroup.busy >= 380 && reading.byGroup.busy <= 480,
      `${reading.byGroup.busy} ms`,
    );
    assert.equal(reading.byGroup.idle, 0);
    assert.equal(reading.byGroup.gone, 0);
    assert.ok(reading.machineMs >= (reading.byGroup.busy as number) - 20, 'the machine spent at least what one of its processes did');
    assert.ok(reading.capacityMs >= reading.machineMs);

    const { parts, totalMs, busyShare } = cpuPerUnit(reading, 4);
    assert.equal(parts.busy, (reading.byGroup.busy as number) / 4);
    assert.ok((parts.other as number) >= 0);
    assert.ok(Math.abs(totalMs - Object.values(parts).reduce((sum, ms) => sum + ms, 0)) < 1e-9, 'the total is the sum of the parts');
    assert.ok(busyShare > 0 && busyShare <= 1);
  });

  it('finds processes by command name', async () => {
    const nodes = processesNamed('node')();
    assert.ok(nodes.includes(process.pid));
    assert.ok(!processesNamed('no-such-command')().length);
  });
});
