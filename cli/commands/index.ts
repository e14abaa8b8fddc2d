// Every CLI command module. A module is `cli/commands/<domain>.ts` exporting
// `register(program: Command)`; it imports only types statically and loads its work lazily in the
// action (`await import(...)`), because all modules are loaded on every start. Add yours here.
import type { Command } from 'commander';
import * as build from './build.ts';
import * as containers from './containers.ts';
import * as daemon from './daemon.ts';
import * as images from './images.ts';
import * as manifests from './manifests.ts';
import * as network from './network.ts';
import * as objects from './objects.ts';
import * as volumes from './volumes.ts';

export const commandModules: Array<{ register(program: Command): void }> = [manifests, objects, containers, images, network, volumes, build, daemon];
