// A network's way out, in Docker's shape: one masquerade rule for its subnet and two FORWARD rules
// for its bridge, made once per network, instead of the chains the bridge plugin (ipMasq) and the
// firewall plugin add for every container. Per container they cost about a dozen iptables calls on
// each attach and each detach; per network they cost three, once. What they let through is the
// same: the containers' own traffic out (and between them), and back in what belongs to a
// connection they made or that a published port (portmap's DNAT) let in — through a FORWARD
// policy of DROP, as Docker sets it.
import type { BerthConfList } from './config.ts';
import { runCommand } from '../spawner.ts';

// Through berth-spawner, as the daemon's other commands: a spawn from the daemon forks all of it.
const run = runCommand;

type Rule = { table: 'nat' | 'filter'; chain: string; args: string[] };

function rules(list: BerthConfList): Rule[] {
  const { bridge, subnet } = list.berth;
  const comment = (what: string) => ['-m', 'comment', '--comment', `berth: ${what} of network ${list.name}`];
  return [
    { table: 'nat', chain: 'POSTROUTING', args: ['-s', subnet, '!', '-o', bridge, ...comment('masquerade'), '-j', 'MASQUERADE'] },
    { table: 'filter', chain: 'FORWARD', args: ['-i', bridge, ...comment('traffic from the containers'), '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', args: ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', ...comment('replies and published ports'), '-j', 'ACCEPT'] },
  ];
}

async function present(r: Rule): Promise<boolean> {
  return run('iptables', ['-w', '-t', r.table, '-C', r.chain, ...r.args]).then(() => true, () => false);
}

/** Adds the network's rules that are not there (idempotent). */
export async function ensureForwarding(list: BerthConfList): Promise<void> {
  const all = rules(list);
  const there = await Promise.all(all.map(present));
  for (const [i, r] of all.entries()) if (!there[i]) await run('iptables', ['-w', '-t', r.table, '-I', r.chain, ...r.args]);
}

/** Removes the network's rules (every copy; none is fine). */
export async function removeForwarding(list: BerthConfList): Promise<void> {
  for (const r of rules(list)) while (await present(r)) await run('iptables', ['-w', '-t', r.table, '-D', r.chain, ...r.args]);
}
