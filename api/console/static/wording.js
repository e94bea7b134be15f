// The console: the forbidden-wording check while text is typed. Pages work without it.
"use strict";
