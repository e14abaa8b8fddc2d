// A "daemon" for the crash test: attaches the containers named on the command line (id:name:hostPort)
// to the default network, prints the attachments as one JSON line, then waits to be killed -9.
import { NetworkManager } from '../../../engine/network/network-manager.ts';

const [root, ...specs] = process.argv.slice(2);
const nets = new NetworkManager({ root: root! });
const out: Record<string, unknown> = {};
for (const s of specs) {
  const [id, name, hostPort] = s.split(':');
  out[id!] = await nets.attach(id!, { network: 'bridge', name: name!, ports: hostPort ? [{ containerPort: 80, hostPort: Number(hostPort), protocol: 'TCP' }] : [] });
}
process.stdout.write(JSON.stringify(out) + '\n');
setInterval(() => undefined, 1 << 30);
