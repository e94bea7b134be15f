// The console: keyboard shortcuts. Pages work without it.
"use strict";
