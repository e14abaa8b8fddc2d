// The conformance suite against runc (under berth's monitor).
import { RuncRuntime } from '../../../engine/runtime/runc-runtime.ts';
import { securityConformance } from './security.ts';
import { conformance } from './conformance.ts';

conformance('runc', (stateDir) => new RuncRuntime({ stateDir }));
securityConformance('runc', (stateDir) => new RuncRuntime({ stateDir }));
