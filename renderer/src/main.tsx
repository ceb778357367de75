import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { queryClient, subscribeToStudioEvents } from './lib/queries';
import { subscribeToEvalEvents } from './lib/eval-queries';
import { subscribeToJudgeEvents } from './lib/judge-queries';
import { applyTheme, systemTheme } from './lib/theme';
import { subscribeToReportEvents } from './lib/report-queries';
import { subscribeToTrainingLogEvents } from './lib/training-log-queries';
// The app shell's sheets, in cascade order, after every component's own sheet (imported above
// through App): a later sheet may override an earlier one, so keep this order.
import './styles.css';
import './layout.css';
import './profiles.css';
import './dialogs.css';
import './theme-dark.css';
import './welcome.css';
import './models.css';

// The system's theme until the stored choice arrives, so a dark desktop never flashes white.
applyTheme(systemTheme());
subscribeToStudioEvents();
subscribeToEvalEvents();
subscribeToJudgeEvents();
subscribeToReportEvents();
subscribeToTrainingLogEvents();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
