/** Bump whenever a detector changes so stored audits are redone. */
export const DETECTOR_VERSION = 'sol-1.6.1';
