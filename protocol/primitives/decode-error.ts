// Owns the one error type every decoder in protocol/ throws for bad input.
// Callers catch exactly this class to answer a malformed frame; any other
// exception escaping a decoder is a bug in floe, not in the peer.

export class KafkaDecodeError extends Error {
  readonly code = 'FLOE_ERR_DECODE';
  constructor(message: string) {
    super(message);
    this.name = 'KafkaDecodeError';
  }
}

/** Thrown by encoders when a message cannot be expressed in the requested version. */
export class KafkaEncodeError extends Error {
  readonly code = 'FLOE_ERR_ENCODE';
  constructor(message: string) {
    super(message);
    this.name = 'KafkaEncodeError';
  }
}
