#include "firmware/platform.hpp"

namespace firmware {

const char* to_string(Note n) {
  switch (n) {
    case Note::connecting: return "connecting";
    case Note::connected: return "connected";
    case Note::connect_refused: return "connect-refused";
    case Note::disconnected: return "disconnected";
    case Note::backoff: return "backoff-ms";
    case Note::subscribe_refused: return "subscribe-refused";
    case Note::status_sent: return "status";
    case Note::unlock_received: return "unlock";
    case Note::relocking: return "relocking";
    case Note::bad_packet: return "bad-packet";
    case Note::ota_offer: return "ota-offer";
    case Note::ota_progress: return "ota-progress";
    case Note::ota_retry: return "ota-retry";
    case Note::ota_failed: return "ota-failed";
    case Note::ota_verified: return "ota-verified";
    case Note::restarting: return "restarting";
  }
  return "?";
}

}  // namespace firmware
