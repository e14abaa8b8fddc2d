// The conformance suite against berth's own launcher (under berth's monitor).
import { NativeRuntime } from '../../engine/runtime/native-runtime.ts';
import { conformance } from './conformance.ts';

conformance('native', (stateDir) => new NativeRuntime({ stateDir }));
