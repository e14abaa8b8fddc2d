// A stand-in for the daemon in monitor.test.ts: starts the containers it is given with a
// NativeRuntime, says so on stdout, and waits to be killed (SIGKILL, as a crashing daemon).
import { NativeRuntime } from '../../../engine/runtime/native-runtime.ts';

const [stateDir, json] = process.argv.slice(2);
const rt = new NativeRuntime({ stateDir: stateDir! });
for (const c of JSON.parse(json!) as Array<{ id: string; bundle: string }>) await rt.run(c);
process.stdout.write('started\n');
setInterval(() => undefined, 1 << 30);
