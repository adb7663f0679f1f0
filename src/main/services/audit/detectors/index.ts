/** The detector set, in report order. Bump DETECTOR_VERSION whenever a detector changes so stored audits are redone. */
import { arrayLengthWrite, defaultVisibility, shortAddress, txOrigin, unprotectedEtherWithdrawal, unprotectedSelfdestruct, unprotectedStateChange } from './access';
import { arithmetic } from './arithmetic';
import { arbitraryCall, ecrecoverZero, signatureReplay } from './authority';
import { delegatecall, denialOfService, reentrancy, uncheckedCalls } from './calls';
import { creditedRequestedAmount, spotPrice, uncheckedTokenResult, unprotectedSwap } from './defi';
import { assertOnInput, deadCode, hardCodedGas, pragmas, stateVisibility } from './hygiene';
import { openImplementationInitializer, proxyStorageCollision, unprotectedUpgrade } from './proxy';
import { blockValues, codeQuality, frontRunning, misleadingText } from './misc';
import type { Detector } from './types';

export { DETECTOR_VERSION } from '../version';

export const detectors: readonly Detector[] = [
  reentrancy,
  uncheckedCalls,
  delegatecall,
  txOrigin,
  unprotectedSelfdestruct,
  unprotectedStateChange,
  unprotectedEtherWithdrawal,
  defaultVisibility,
  arrayLengthWrite,
  arithmetic,
  blockValues,
  denialOfService,
  frontRunning,
  shortAddress,
  codeQuality,
  misleadingText,
  pragmas,
  stateVisibility,
  deadCode,
  hardCodedGas,
  assertOnInput,
  uncheckedTokenResult,
  creditedRequestedAmount,
  spotPrice,
  unprotectedSwap,
  arbitraryCall,
  signatureReplay,
  ecrecoverZero,
  unprotectedUpgrade,
  openImplementationInitializer,
  proxyStorageCollision,
];

export { collectFindings } from './types';
