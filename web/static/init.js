// The design system's components (header menu, skip link, error summary...).
import { initAll } from "/assets/nhsuk/nhsuk-frontend.min.js";

initAll();
