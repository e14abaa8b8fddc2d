// Network aliases: `run --network-alias` and a create body's NetworkingConfig aliases (docker-compose's
// service names) become spec.networkAliases, on the network the container joins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerCreateRequest } from '../../specs/docker/create-body.ts';
import { dockerRunRequest } from '../../specs/docker/run.ts';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { ContainerSpec } from '../../specs/schema.ts';

describe('network aliases', () => {
  it('run --network-alias', () => {
    assert.deepEqual(dockerRunRequest('img', [], { network: 'back', networkAlias: ['db', 'store'] }).spec.networkAliases, ['db', 'store']);
    assert.equal(dockerRunRequest('img', [], { network: 'back' }).spec.networkAliases, undefined);
  });

  it('the create body: the aliases of the network it joins, as docker-compose sends them', () => {
    const body = (aliases: unknown) => ({ Image: 'img', HostConfig: { NetworkMode: 'demo_back' }, NetworkingConfig: { EndpointsConfig: { demo_back: { Aliases: aliases, IPAMConfig: {} } } } });
    assert.deepEqual(dockerCreateRequest('demo-web-1-0a1b2c3d', body(['web'])).spec.networkAliases, ['web']);
    assert.equal(dockerCreateRequest(undefined, body(null)).spec.networkAliases, undefined);
    // Checked with the rest of the spec when the Container object is made.
    const bad = ContainerSpec.safeParse(dockerCreateRequest(undefined, body(['web ok'])).spec);
    assert.equal(bad.success, false);
    assert.match(bad.error!.issues[0]!.message, /must be a host name/);
    assert.throws(() => dockerCreateRequest(undefined, body([1])), (e: unknown) => e instanceof InvalidArgumentError && /NetworkingConfig\.EndpointsConfig\["demo_back"\]\.Aliases must be a list of strings/.test(e.message));
  });
});
