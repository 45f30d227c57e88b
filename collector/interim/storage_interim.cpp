// Interim, for branch pg only (see sqlite_store.hpp here): storage.cpp as it
// is, but with its now_ms() renamed, since event_store.cpp still defines the
// same function until the refactor on main moves it.
#define now_ms now_ms_of_storage_cpp
#include "../src/storage.cpp"
