// Docker's management groups: `container ls`, `image rm`, `system events`… are the top-level verbs
// under another name, so they are rewritten to them before parsing (one definition of each verb and
// its flags). What exists only in a group (container prune, image prune, system df|info|prune) is a
// real subcommand of the group's command.

const ALIASES: Record<string, Record<string, string[]>> = {
  container: {
    ls: ['ps'], list: ['ps'], ps: ['ps'], rm: ['rm'], remove: ['rm'], inspect: ['inspect', '--type', 'container'], run: ['run'],
    logs: ['logs'], exec: ['exec'], stop: ['stop'], start: ['start'], kill: ['kill'], pause: ['pause'],
    unpause: ['unpause'], stats: ['stats'], top: ['top'], port: ['port'], wait: ['wait'], attach: ['attach'], restart: ['restart'], cp: ['cp'],
    commit: ['commit'], rename: ['rename'], create: ['create'], update: ['update'],
  },
  image: {
    ls: ['images'], list: ['images'], rm: ['rmi'], remove: ['rmi'], inspect: ['inspect', '--type', 'image'], tag: ['tag'],
    pull: ['pull'], push: ['push'], save: ['save'], load: ['load'], build: ['build'], history: ['history'],
  },
  system: { events: ['events'] },
};

/** argv (after `node berth`) with a group's aliased subcommand replaced by its verb. */
export function rewriteGroups(args: string[]): string[] {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('--socket')) i += args[i] === '--socket' ? 2 : 1;
  const group = ALIASES[args[i] ?? ''];
  const verb = group?.[args[i + 1] ?? ''];
  return verb ? [...args.slice(0, i), ...verb, ...args.slice(i + 2)] : args;
}

/** The aliased subcommands of a group, for its help text. */
export function groupAliases(group: string): string[] {
  return Object.keys(ALIASES[group] ?? {});
}
