import type { VrrpInstanceInput } from '../../../src/machines/vrrp/vrrpInstance.types.js';

/** A v2 backup at priority 100, 1 s adverts, no trackers: the instance most tests start from. */
export const BASE_INSTANCE: VrrpInstanceInput = {
  name: 'VI_1',
  vrid: 51,
  version: 2,
  basePriority: 100,
  advertIntervalCs: 100,
  preempt: true,
  preemptDelayCs: 0,
  initialState: 'BACKUP',
  primaryIp: '192.0.2.10',
  trackers: [],
  garp: { delayCs: 500, repeat: 5, refreshCs: 0, refreshRepeat: 1 },
  heal: { lowerPrioAdvert: true, lowerPrioGarpRepeat: 5, lowerPrioGarpDelayCs: 500, higherPrioSendAdvert: true },
};
