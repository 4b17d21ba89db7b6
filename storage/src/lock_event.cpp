#include "storage/records.hpp"

namespace storage {

const char* event_code(LockEvent e) {
  switch (e) {
    case LockEvent::online: return "online";
    case LockEvent::offline: return "offline";
    case LockEvent::locked: return "locked";
    case LockEvent::unlocked: return "unlocked";
  }
  return "unknown";
}

const char* event_text(LockEvent e) {
  switch (e) {
    case LockEvent::online: return "设备上线";
    case LockEvent::offline: return "设备离线";
    case LockEvent::locked: return "上锁";
    case LockEvent::unlocked: return "开锁";
  }
  return "";
}

std::optional<LockEvent> event_from_code(const std::string& code) {
  for (LockEvent e : {LockEvent::online, LockEvent::offline, LockEvent::locked, LockEvent::unlocked})
    if (code == event_code(e)) return e;
  return std::nullopt;
}

}  // namespace storage
