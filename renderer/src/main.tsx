import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { queryClient, subscribeToStudioEvents } from './lib/queries';
import { subscribeToEvalEvents } from './lib/eval-queries';
import { subscribeToJudgeEvents } from './lib/judge-queries';
import { applyTheme, systemTheme } from './lib/theme';
import { subscribeToReportEvents } from './lib/report-queries';
import './styles.css';

// The system's theme until the stored choice arrives, so a dark desktop never flashes white.
applyTheme(systemTheme());
subscribeToStudioEvents();
subscribeToEvalEvents();
subscribeToJudgeEvents();
subscribeToReportEvents();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
