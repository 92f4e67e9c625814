// The logging provider: WriteLog in the three flavours (waSCC numeric levels, WIDL with a
// target, wasmbus Logging.WriteLog), written to the host's structured log with the calling
// component's id.
#pragma once

#include <memory>

#include "host/providers/provider.hpp"

namespace isola::host::providers {

std::shared_ptr<Provider> make_logging_provider(LogSink* sink);

}  // namespace isola::host::providers
