// The daemon's V8 heap sized for a long-lived service rather than for throughput: imported first by
// main.ts, before any other module is evaluated. With V8's defaults the old generation is let grow
// to several times what is live (a JS heap of ~30 MiB live held 95 MiB of pages with 100
// containers); --optimize-for-size grows it in smaller steps and gives memory back sooner (the
// same daemon: 165 → 109 MiB RSS with 100 containers). Heap flags are read as the heap grows, so
// setting it here works as on the command line (bin/berth's #! line carries the flags V8 reads
// only at start-up, such as the semi-space size).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--optimize-for-size');
