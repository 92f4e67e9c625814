// The keyvalue provider: decodes the operations of the three contract flavours (waSCC
// `wascc:keyvalue`, wasmCloud WIDL `wasmcloud:keyvalue` without prefix, and wasmbus
// `KeyValue.*` with bare primitive payloads) and maps them onto a KvBackend.
#pragma once

#include <memory>

#include "host/providers/kv_backend.hpp"
#include "host/providers/provider.hpp"

namespace isola::host::providers {

enum class KvFlavour {
  Wascc,  // reply keys as wascc-codec 0.8: SetOperationResponse{newCount}
  Widl,   // as actor-interfaces' keyvalue.widl: SetOperationResponse{new_count}
};

std::shared_ptr<Provider> make_keyvalue_provider(KvFlavour flavour, std::shared_ptr<KvBackend> backend);

}  // namespace isola::host::providers
