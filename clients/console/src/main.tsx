import '@mantine/core/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Alert, MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import { Code } from '@connectrpc/connect';
import { isStatus } from './api/error-words';
import { App } from './App';
import { SessionProvider } from './session/session.context';

// A refusal will be refused again: retry only what may be transient.
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (failures, error) =>
        failures < 2 &&
        ![Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.InvalidArgument].some((c) =>
          isStatus(error, c),
        ),
    },
  },
});

// Darker shades than Mantine's default primary, so text on it keeps a 4.5:1 contrast.
// An alert's title in its own light colour (green, orange) falls below 4.5:1 on its tint; the tint and icon keep the cue.
const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8,
  autoContrast: true,
  respectReducedMotion: true,
  components: { Alert: Alert.extend({ styles: { title: { color: 'var(--mantine-color-text)' } } }) },
});
// Mantine's dimmed grey (field descriptions, placeholders) is 3.3:1 on white; gray.7 reads at 4.5:1 and more.
const readableGreys: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
  },
  dark: {},
});

// A page's code that is no longer there (the console was rebuilt or upgraded
// since this tab loaded it): load the new build rather than fail. At most once a
// minute, so a file that is really missing ends in the page's error, not a loop.
const RELOADED_AT = 'aos.reloadedForMissingCode';
window.addEventListener('vite:preloadError', (event) => {
  if (Date.now() - Number(sessionStorage.getItem(RELOADED_AT) ?? 0) < 60_000) return;
  sessionStorage.setItem(RELOADED_AT, String(Date.now()));
  event.preventDefault();
  window.location.reload();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={readableGreys}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <SessionProvider>
            <App />
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
