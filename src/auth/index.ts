export * from './types';
export { AuthStore, authRecords } from './auth-store';
export { mergePermissions, permits, isValidPermissionRange, KeyIntervals } from './perm-ranges';
export {
  checkDeleteRangeAuth,
  checkLeasePuts,
  checkPutAuth,
  checkRangeAuth,
  checkTxnAuth,
  lessorLeaseKeys,
  type LeaseKeys,
} from './request-checks';
