// Public AWS S3 Standard prices (us-east-1, as listed on 2026-11-23) used to
// estimate object-storage cost per GB written. Data transfer inside a region
// is free and not counted. Change here when prices change; reports keep the
// prices they were computed with.

export const S3_STANDARD_PRICES_USD = {
  putPer1000: 0.005,
  getPer1000: 0.0004,
  storagePerGBMonth: 0.023,
} as const;

export function requestCostPerGB(putsPerGB: number, getsPerGB: number): number {
  return (putsPerGB / 1000) * S3_STANDARD_PRICES_USD.putPer1000 + (getsPerGB / 1000) * S3_STANDARD_PRICES_USD.getPer1000;
}
