// CRC-16/XMODEM (polynomial 0x1021, initial 0, no reflection, no final XOR): the checksum
// nkeys append, little-endian, to every encoded key. Check value: "123456789" -> 0x31C3.
#pragma once

#include <cstdint>
#include <span>

namespace isola::host::claims {

uint16_t crc16_xmodem(std::span<const uint8_t> bytes);

}  // namespace isola::host::claims
